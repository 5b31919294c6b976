#ifndef DAFTRA_GATEWAY_CEPOLL_SHIM_H
#define DAFTRA_GATEWAY_CEPOLL_SHIM_H
/* Glibc's Swift module does not include <sys/epoll.h>; the epoll-set floor needs it. */
#include <sys/epoll.h>
#endif
