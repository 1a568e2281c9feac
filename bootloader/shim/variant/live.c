// The loader's build variant (spec §7): a `-live` build starts in live mode, the ordinary build
// does not (the mode screen's `l` toggles it either way). build.sh compiles this file twice,
// with LOADER_LIVE 0 and 1, and links each loader from the same objects otherwise.

#ifndef LOADER_LIVE
#define LOADER_LIVE 0
#endif

int loader_live_default(void) { return LOADER_LIVE; }
