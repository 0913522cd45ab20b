/* Where corral and corralctl meet when no socket is named. */
#ifndef CORRAL_CTLPATH_H
#define CORRAL_CTLPATH_H

/*
 * $CORRAL_SOCKET if set, else /run/corral.sock for root and
 * $XDG_RUNTIME_DIR/corral.sock for others; NULL when there is none.
 */
const char *control_default_path(void);

#endif
