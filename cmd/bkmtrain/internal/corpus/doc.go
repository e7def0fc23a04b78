// Package corpus holds the Spanish→English corpus embedded in bkmtrain: the
// train and valid splits of the Bible corpus built by scripts/bible-corpus.sh
// (Reina-Valera 1909 → World English Bible, both public domain), every
// aligned verse pair, gzip-compressed (2.5 MB). It is what `bkmtrain train`
// uses when no data flag is given.
//
// Regenerate with: scripts/bible-corpus.sh /tmp/bible --embed
//
// which prints the sha256 of the uncompressed TSV; for the files here:
//
//	5fe6c924b073af04fb3dbf69a23052e9028a7286ea036a917df98cadfab4fc66  train.tsv (29,323 pairs)
//	4fd226b3fb4c24bcacc4bf95c2a88b225c8bd414e0b3ef2c0a697e9db71adf08  valid.tsv (468 pairs)
//
// It imports only the standard library.
package corpus
