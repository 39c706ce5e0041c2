/* public.c - error texts under the slc_ prefix, so the installed library
 * exports only slc_* and still lets callers print an sl_err. */
#include "../base/err.h"
#include "sluice.h"

const char *slc_err_name(sl_err e) { return sl_err_name(e); }

const char *slc_err_str(sl_err e) { return sl_err_str(e); }
