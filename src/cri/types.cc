// cri/types.h holds plain messages; this file anchors the library target.
#include "cri/types.h"
