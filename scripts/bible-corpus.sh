#!/usr/bin/env bash
# Builds the verse-aligned Spanish→English Bible corpus (Reina-Valera 1909 →
# World English Bible, both public domain) from Debian's SWORD packages and
# writes deterministic train/valid/test splits (TSV: spanish⇥english) with a
# .ref file of verse references beside each, then prints their sha256.
#
#   scripts/bible-corpus.sh [OUTDIR]     (default: ~/.cache/bkm/bible)
#   scripts/bible-corpus.sh OUTDIR --embed
#       also regenerates the train and valid splits embedded in bkmtrain
#       (cmd/bkmtrain/internal/corpus/*.tsv.gz)
#
# The split is fixed by book and chapter; see docs/data.md.
set -euo pipefail

out=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/bkm/bible}
src_mod=spaRV1909eb
tgt_mod=engWEB2015eb
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

have_modules() {
	command -v diatheke >/dev/null || return 1
	local list
	list=$(diatheke -b system -k modulelist 2>/dev/null) || return 1
	grep -q "^$src_mod " <<<"$list" && grep -q "^$tgt_mod " <<<"$list"
}
if ! have_modules; then
	echo "installing diatheke and the SWORD modules (apt-get)..." >&2
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq diatheke sword-text-sparv sword-text-web >/dev/null
	if ! have_modules; then
		echo "bible-corpus: SWORD modules $src_mod and $tgt_mod not found after install (diatheke -b system -k modulelist)" >&2
		exit 1
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# OSIS keeps word boundaries (<w>…</w>) that the plain filter loses where it
# removes a footnote ("Godcreated").
diatheke -b $src_mod -f OSIS -k Gen-Rev >"$tmp/src.osis"
diatheke -b $tgt_mod -f OSIS -k Gen-Rev >"$tmp/tgt.osis"

mkdir -p "$out"
out=$(cd "$out" && pwd) # absolute: the aligner runs from the repository root
cd "$here/.."
embed=()
[ "${2:-}" = "--embed" ] && embed=(-embed cmd/bkmtrain/internal/corpus)
go run ./scripts/biblecorpus -src "$tmp/src.osis" -tgt "$tmp/tgt.osis" -out "$out" "${embed[@]}"
echo "corpus written to $out"
