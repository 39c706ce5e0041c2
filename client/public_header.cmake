cmake_minimum_required(VERSION 3.18)
# Make the installed sluice.h self-contained: client/sluice.h with its three
# in-tree includes replaced by the definitions it needs from them (sl_bytes,
# the sl_err enum, rec_header), taken from those very files so they cannot
# drift.  cmake -DSRC=<source dir> -DOUT=<file> -P public_header.cmake
file(READ ${SRC}/client/sluice.h hdr)
file(READ ${SRC}/base/bytes.h bytes)
file(READ ${SRC}/base/err.h err)
file(READ ${SRC}/protocol/records.h records)

string(REGEX MATCH "#define SL_ERR_LIST[^;]*} sl_err;" err_enum "${err}")
string(REGEX MATCH "typedef struct rec_header {[^}]*} rec_header;" rec_header "${records}")
if(NOT err_enum OR NOT rec_header)
  message(FATAL_ERROR "public_header.cmake: sl_err or rec_header not found")
endif()

foreach(inc "../base/bytes.h" "../base/err.h" "../protocol/records.h")
  string(FIND "${hdr}" "#include \"${inc}\"" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "public_header.cmake: client/sluice.h no longer includes ${inc}")
  endif()
endforeach()
string(REPLACE "#include \"../base/bytes.h\"\n" "/* from base/bytes.h */\n${bytes}\n" hdr "${hdr}")
string(REPLACE "#include \"../base/err.h\"\n"
       "/* from base/err.h */\n#ifndef SL_ERR_H\n#define SL_ERR_H\n${err_enum}\n#endif\n" hdr "${hdr}")
string(REPLACE "#include \"../protocol/records.h\"\n"
       "\n/* from protocol/records.h */\n${rec_header}\n" hdr "${hdr}")
if(hdr MATCHES "#include \"")
  message(FATAL_ERROR "public_header.cmake: a local #include is left in sluice.h")
endif()
# Rewritten only when it changes, so what includes it is not rebuilt.
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL hdr)
  file(WRITE ${OUT} "${hdr}")
endif()
