// SwiftPM needs one source file in a C target; the header is the whole point.
#include "CFuzzerDriver.h"
