// Package atomicfile replaces files so that a crash, a full disk or a failed write
// leaves either the old file or the whole new one at the path, never a partial file:
// the new contents go to a temporary file in the same directory, which is synced,
// renamed over the path, and the directory synced; on any error the temporary file is
// removed and the path is left as it was.
//
// It is the one writer behind bkm's model files, train's checkpoints and metrics logs
// and cmd/bkmtrain's outputs. It imports only the standard library.
package atomicfile
