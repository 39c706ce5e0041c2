/* version.h - the broker's version, reported in logs and --version. */
#ifndef SL_VERSION_H
#define SL_VERSION_H
extern const char sluice_version[];
#endif
