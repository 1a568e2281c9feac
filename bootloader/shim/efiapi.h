// The calling convention of firmware services: Microsoft x64 on x86_64, the standard procedure
// call standard (AAPCS64) on aarch64.
#pragma once

#if defined(__x86_64__)
#define EFIAPI __attribute__((ms_abi))
#else
#define EFIAPI
#endif
