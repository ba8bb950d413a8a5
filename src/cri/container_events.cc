#include "cri/container_events.h"

namespace cubelet::cri {

const char* ToString(ContainerEvent::Type type) {
  switch (type) {
    case ContainerEvent::Type::kStarted:
      return "started";
    case ContainerEvent::Type::kExited:
      return "exited";
    case ContainerEvent::Type::kOomKilled:
      return "oom";
    case ContainerEvent::Type::kDeleted:
      return "deleted";
  }
  return "unknown";
}

}  // namespace cubelet::cri
