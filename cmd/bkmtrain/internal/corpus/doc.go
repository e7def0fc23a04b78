// Package corpus holds the small Spanish→English corpus embedded in bkmtrain:
// the verse pairs of the Bible corpus built by scripts/bible-corpus.sh
// (Reina-Valera 1909 → World English Bible, both public domain) whose two
// sides are at most 80 bytes long, from its train and valid splits. It is
// what `bkmtrain train` uses when no data flag is given.
//
// Regenerate with: scripts/bible-corpus.sh /tmp/bible --embed
//
// It imports only the standard library.
package corpus
