/* nmeter for the e2e busybox image: the subset of busybox's nmeter applet the
 * node e2e suite uses (`nmeter -d0 '%3t'`, the time with milliseconds; busybox's
 * date has no sub-second format). Debian's busybox-static lacks the applet;
 * upstream's busybox image has it.
 *
 * Usage: nmeter [-d MSEC] FORMAT. FORMAT is printed once per MSEC (default
 * 1000; 0: no pause), with %[N]t replaced by the current UTC time
 * HH:MM:SS[.N digits] and %% by %; anything else is printed as written. It
 * runs until its output is closed (SIGPIPE), as the applet does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void print_line(const char* format) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  for (const char* p = format; *p != '\0'; ++p) {
    if (*p != '%') {
      putchar(*p);
      continue;
    }
    const char* spec = p + 1;
    int digits = 0;
    if (*spec >= '0' && *spec <= '9') digits = *spec++ - '0';
    if (*spec == 't') {
      printf("%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
      if (digits > 0) {
        if (digits > 9) digits = 9;
        long frac = now.tv_nsec;
        for (int i = digits; i < 9; ++i) frac /= 10;
        printf(".%0*ld", digits, frac);
      }
      p = spec;
    } else if (*spec == '%') {
      putchar('%');
      p = spec;
    } else {
      putchar('%');
    }
  }
  putchar('\n');
  fflush(stdout);
}

int main(int argc, char** argv) {
  long delay_ms = 1000;
  int opt;
  while ((opt = getopt(argc, argv, "d:")) != -1) {
    if (opt == 'd') {
      delay_ms = strtol(optarg, NULL, 10);
    } else {
      fprintf(stderr, "usage: nmeter [-d MSEC] FORMAT\n");
      return 1;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "usage: nmeter [-d MSEC] FORMAT\n");
    return 1;
  }
  for (;;) {
    print_line(argv[optind]);
    if (ferror(stdout)) return 1;
    if (delay_ms > 0) {
      struct timespec pause = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
      nanosleep(&pause, NULL);
    }
  }
}
