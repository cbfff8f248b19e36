/* trr/version.h: the one version of trr. CMake reads it for the project's
 * version (the SONAME's major, pkg-config's Version) and trr_version()
 * returns TRR_VERSION_STRING: all of them say the same. */

#ifndef TRR_INCLUDE_TRR_VERSION_H_
#define TRR_INCLUDE_TRR_VERSION_H_

#define TRR_VERSION_MAJOR 2
#define TRR_VERSION_MINOR 0
#define TRR_VERSION_PATCH 0
#define TRR_VERSION_STRING "2.0.0"

#endif /* TRR_INCLUDE_TRR_VERSION_H_ */
