/* err.c - names and texts for sl_err. */
#include "err.h"

#include <errno.h>

const char *sl_err_name(sl_err e)
{
    switch (e) {
#define SL_ERR_NAME(name, value, text) case name: return #name;
    SL_ERR_LIST(SL_ERR_NAME)
#undef SL_ERR_NAME
    }
    return "SL_E_?";
}

const char *sl_err_str(sl_err e)
{
    switch (e) {
#define SL_ERR_STR(name, value, text) case name: return text;
    SL_ERR_LIST(SL_ERR_STR)
#undef SL_ERR_STR
    }
    return "unknown error";
}

sl_err sl_err_from_errno(int neg_errno)
{
    switch (-neg_errno) {
    case 0: return SL_OK;
    case ENOSPC:
    case EDQUOT: return SL_E_NOSPC;
    case ENOMEM: return SL_E_NOMEM;
    case EMFILE:
    case ENFILE: return SL_E_NOFILE;
    case EEXIST: return SL_E_EXISTS;
    case ENOENT: return SL_E_NOTFOUND;
    case EAGAIN: return SL_E_AGAIN;
    case EINVAL: return SL_E_INVAL;
    default: return SL_E_IO;
    }
}
