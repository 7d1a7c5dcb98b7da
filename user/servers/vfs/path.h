/* SPDX-License-Identifier: MIT */
/* path.h - path names of the VFS: normalisation to one canonical absolute
 * form, so every later step (mount choice, lookups, permission checks)
 * compares plain strings. Pure; compiled into the VFS and into host tests. */
#pragma once

#include <stddef.h>
#include "proto/vfs.h"

/* Normalise the NUL-terminated path `in` into out[VFS_PATH_MAX]: "/" alone,
 * or "/" followed by components joined by single slashes, with "." dropped
 * and ".." taking away the component before it. Repeated and trailing
 * slashes are dropped; a relative path counts from the root (the VFS has no
 * working directory: clients resolve their own).
 * Returns the length of out (>= 1), or
 *   -MOS_EINVAL        in is empty, or a ".." would go above the root;
 *   -MOS_ENAMETOOLONG  in (or out) needs VFS_PATH_MAX bytes or more with its
 *                      NUL, or a component is longer than VFS_NAME_MAX - 1.
 * out is written only on success. Reads at most VFS_PATH_MAX bytes of in. */
__attribute__((warn_unused_result)) int path_normalize(const char *in, char out[VFS_PATH_MAX]);

/* Split a normalised path other than "/" at its last slash: the parent
 * (normalised, "/" for a top-level name) into parent[VFS_PATH_MAX] and
 * the last component into name[VFS_NAME_MAX]. Returns 0, or -MOS_EINVAL
 * for "/" (the root has no parent). */
__attribute__((warn_unused_result)) int path_split(const char *norm, char parent[VFS_PATH_MAX],
                                                   char name[VFS_NAME_MAX]);

/* Is the normalised path `p` equal to `prefix` or inside it (prefix followed
 * by "/")? Both normalised; prefix "/" contains everything. */
int path_within(const char *p, const char *prefix);

/* The next component of the relative path *rest ("a/b/c", no leading slash):
 * copies it into name[VFS_NAME_MAX] and advances *rest past it and its
 * slash. Returns 1 (a component), 0 (none left) or -MOS_ENAMETOOLONG. */
int path_next(const char **rest, char name[VFS_NAME_MAX]);
