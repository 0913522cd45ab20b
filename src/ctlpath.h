/* Where corral and corralctl meet when no socket is named. */
#ifndef CORRAL_CTLPATH_H
#define CORRAL_CTLPATH_H

/* /run/corral.sock for root, $XDG_RUNTIME_DIR/corral.sock otherwise, or NULL. */
const char *control_default_path(void);

#endif
