/* pause: the sandbox ("infra") process of a cubelet pod.
 *
 * Holds the pod's namespaces open and does nothing else: exits 0 on SIGTERM or
 * SIGINT, reaps any zombie children on SIGCHLD (it is PID 1 of the pod's PID
 * namespace when that namespace is shared), otherwise sleeps in pause().
 * Build: gcc -static -O2 -o pause pause.c
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_chld(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int handle(int sig, void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = (sig == SIGCHLD) ? (SA_RESTART | SA_NOCLDSTOP) : 0;
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0) {
      puts("pause (cubelet) 1.0");
      return 0;
    }
  }
  if (getpid() != 1) {
    fputs("pause: warning: not running as PID 1\n", stderr);
  }
  if (handle(SIGINT, on_term) < 0 || handle(SIGTERM, on_term) < 0 ||
      handle(SIGCHLD, on_chld) < 0) {
    perror("pause: sigaction");
    return 1;
  }
  for (;;) {
    pause();
  }
  return 42; /* unreachable */
}
