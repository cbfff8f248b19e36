/* TRR_EXPORT marks what libtrr.so exports; everything else is hidden
 * (the library is built with -fvisibility=hidden). C89 as it stands. */

#ifndef TRR_INCLUDE_TRR_EXPORT_H_
#define TRR_INCLUDE_TRR_EXPORT_H_

#if defined(__GNUC__) || defined(__clang__)
#define TRR_EXPORT __attribute__((visibility("default")))
#define TRR_HIDDEN __attribute__((visibility("hidden")))
#else
#define TRR_EXPORT
#define TRR_HIDDEN
#endif

#endif /* TRR_INCLUDE_TRR_EXPORT_H_ */
