// Command biblecorpus aligns two plain-text Bible dumps written by SWORD's
// diatheke (`diatheke -b MODULE -f OSIS -k Gen-Rev`) verse by verse and
// writes deterministic train/valid/test splits as TSV (source⇥target), one
// verse pair per line, with the verse references in a parallel .ref file.
//
// The split of a verse is fixed by its book and chapter (FNV-1a of "Book
// Chapter"), so a chapter never straddles two splits and re-running the
// program on the same modules gives byte-identical files.
//
// It is run by scripts/bible-corpus.sh; see docs/data.md.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	src := flag.String("src", "", "diatheke OSIS dump of the source-language module (required)")
	tgt := flag.String("tgt", "", "diatheke OSIS dump of the target-language module (required)")
	out := flag.String("out", "data/bible", "output directory")
	validPct := flag.Int("valid", 2, "percent of chapters in the validation split")
	testPct := flag.Int("test", 2, "percent of chapters in the test split")
	embed := flag.String("embed", "", "also write the train and valid splits embedded in bkmtrain (train.tsv.gz, valid.tsv.gz) to this directory")
	embedMax := flag.Int("embed-max", 0, "embed only the pairs whose sides are both at most this many bytes (0 = every pair)")
	flag.Parse()
	if *src == "" || *tgt == "" {
		fmt.Fprintln(os.Stderr, "biblecorpus: -src and -tgt are required")
		os.Exit(2)
	}
	if err := run(*src, *tgt, *out, *validPct, *testPct, *embed, *embedMax); err != nil {
		fmt.Fprintln(os.Stderr, "biblecorpus:", err)
		os.Exit(1)
	}
}

// verseRef identifies a verse by the book name diatheke prints (English
// locale for every module), chapter and verse.
type verseRef struct {
	Book           string
	Chapter, Verse int
}

func (r verseRef) String() string { return fmt.Sprintf("%s %d:%d", r.Book, r.Chapter, r.Verse) }

// dump is one module's verses in file order.
type dump struct {
	order []verseRef
	text  map[verseRef]string
}

func run(srcPath, tgtPath, out string, validPct, testPct int, embedDir string, embedMax int) error {
	srcLines, err := readLines(srcPath)
	if err != nil {
		return err
	}
	tgtLines, err := readLines(tgtPath)
	if err != nil {
		return err
	}
	src, err := parseDump(srcPath, srcLines)
	if err != nil {
		return err
	}
	tgt, err := parseDump(tgtPath, tgtLines)
	if err != nil {
		return err
	}

	type pair struct {
		ref      verseRef
		src, tgt string
	}
	// The two modules use different versifications (KJV and NRSVA), and the
	// Spanish text leaves a verse empty where its own verse division moved
	// the text to a neighbour (Jonah 1:17 is in Jonah 2:1, Job 38:39-41 in
	// 39:1-3). A chapter with a verse missing or empty on the source side, or
	// missing on the target side, is misaligned, and so is the next chapter
	// of the same book (the shifted text lands there): both are dropped
	// whole. A verse that is present but empty in the target only is one the
	// English translation omits (Luke 17:36): that verse alone is dropped.
	type chapter struct {
		book string
		ch   int
	}
	bad := map[chapter]bool{}
	omitted := 0
	for _, ref := range src.order {
		if _, ok := tgt.text[ref]; !ok || src.text[ref] == "" {
			bad[chapter{ref.Book, ref.Chapter}] = true
		}
	}
	var pairs []pair
	var dropped []string
	droppedVerses := 0
	seen := map[chapter]bool{}
	for _, ref := range src.order {
		c := chapter{ref.Book, ref.Chapter}
		if bad[c] || bad[chapter{c.book, c.ch - 1}] {
			droppedVerses++
			if !seen[c] {
				seen[c] = true
				dropped = append(dropped, fmt.Sprintf("%s %d", c.book, c.ch))
			}
			continue
		}
		if tgt.text[ref] == "" {
			omitted++
			continue
		}
		pairs = append(pairs, pair{ref, src.text[ref], tgt.text[ref]})
	}
	fmt.Printf("source verses %d, target verses %d (target has extra books), aligned pairs %d\n",
		len(src.order), len(tgt.order), len(pairs))
	fmt.Printf("dropped %d verses in %d chapters whose verse division differs: %s\n",
		droppedVerses, len(dropped), strings.Join(dropped, ", "))
	fmt.Printf("dropped %d verses empty in the target translation\n", omitted)

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	splits := []string{"train", "valid", "test"}
	var tsv, refs [3]strings.Builder
	var counts [3]int
	for _, p := range pairs {
		h := fnv.New32a()
		fmt.Fprintf(h, "%s %d", p.ref.Book, p.ref.Chapter)
		bucket := int(h.Sum32() % 100)
		i := 0
		switch {
		case bucket < validPct:
			i = 1
		case bucket < validPct+testPct:
			i = 2
		}
		tsv[i].WriteString(p.src + "\t" + p.tgt + "\n")
		refs[i].WriteString(p.ref.String() + "\n")
		counts[i]++
	}
	for i, name := range splits {
		tsvPath := filepath.Join(out, name+".tsv")
		if err := os.WriteFile(tsvPath, []byte(tsv[i].String()), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name+".ref"), []byte(refs[i].String()), 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(tsv[i].String()))
		fmt.Printf("%s  %s  (%d pairs)\n", hex.EncodeToString(sum[:]), tsvPath, counts[i])
	}
	if embedDir != "" {
		for i, name := range splits[:2] {
			if err := writeEmbedded(filepath.Join(embedDir, name+".tsv.gz"), tsv[i].String(), embedMax); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeEmbedded writes the pairs of a split whose both sides are at most
// maxLen bytes (every pair for maxLen 0), gzip-compressed with no name or time stamp in the header so
// the file is reproducible.
func writeEmbedded(path, tsv string, maxLen int) error {
	var kept strings.Builder
	n := 0
	for _, line := range strings.SplitAfter(tsv, "\n") {
		src, tgt, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if ok && (maxLen == 0 || len(src) <= maxLen && len(tgt) <= maxLen) {
			kept.WriteString(line)
			n++
		}
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write([]byte(kept.String())); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(kept.String()))
	limit := "every pair"
	if maxLen > 0 {
		limit = fmt.Sprintf("sides of at most %d bytes", maxLen)
	}
	fmt.Printf("%s  %s  (%d pairs, %s; %d bytes compressed)\n",
		hex.EncodeToString(sum[:]), path, n, limit, buf.Len())
	return nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// keyLine matches the start of a verse in diatheke's OSIS output: an optional
// heading followed by two spaces, then "Book C:V: ". Book names may carry
// Roman numerals and words such as "of" ("II Samuel", "Revelation of John",
// "Esther (Greek)").
var keyLine = regexp.MustCompile(`^(?:(.*?)\s\s)?\s*((?:[1-4I]+ )?[A-Z][A-Za-z]*(?: (?:of|the|to|and|[A-Z][A-Za-z]*|\([A-Za-z]+\)))*) (\d+):(\d+): `)

// moduleTrailer is diatheke's last line, "(moduleName)".
var moduleTrailer = regexp.MustCompile(`^\([A-Za-z0-9_]+\)$`)

// parseDump splits a diatheke OSIS dump (one verse per line) into verses.
// Text before a key is a section heading. The Spanish module has psalm
// titles inside verse 1; the English one prints them as headings, so a
// heading is kept as the start of the first verse of a psalm, and only if it
// changed since the previous verse (the English module repeats a stale
// heading before every later verse). Lines without a key continue the
// previous verse.
func parseDump(path string, lines []string) (*dump, error) {
	d := &dump{text: map[verseRef]string{}}
	var cur *verseRef
	var buf strings.Builder
	prevHeading := ""
	flush := func() {
		if cur != nil {
			if _, dup := d.text[*cur]; !dup {
				d.order = append(d.order, *cur)
			}
			d.text[*cur] = clean(buf.String())
		}
		buf.Reset()
	}
	for lineNo, l := range lines {
		if moduleTrailer.MatchString(strings.TrimSpace(l)) {
			flush()
			cur = nil
			continue
		}
		m := keyLine.FindStringSubmatchIndex(l)
		if m == nil {
			if cur != nil {
				buf.WriteByte(' ')
				buf.WriteString(l)
			}
			continue
		}
		flush()
		ch, err1 := strconv.Atoi(l[m[6]:m[7]])
		vs, err2 := strconv.Atoi(l[m[8]:m[9]])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: bad verse key %q", path, lineNo+1, l[:m[1]])
		}
		ref := verseRef{Book: l[m[4]:m[5]], Chapter: ch, Verse: vs}
		cur = &ref
		heading := ""
		if m[2] >= 0 {
			heading = strings.TrimSpace(l[m[2]:m[3]])
		}
		if heading != "" && heading != prevHeading && ref.Book == "Psalms" && ref.Verse == 1 {
			buf.WriteString(heading)
			buf.WriteByte(' ')
		}
		prevHeading = heading
		buf.WriteString(l[m[1]:])
	}
	flush()
	if len(d.order) == 0 {
		return nil, fmt.Errorf("%s: no verse keys (\"Genesis 1:1: ...\") found; is it a diatheke OSIS dump?", path)
	}
	return d, nil
}

var (
	element = regexp.MustCompile(`(?s)<(note|title)\b[^>]*>.*?</(?:note|title)>`)
	word    = regexp.MustCompile(`</?w\b[^>]*>`)
	tag     = regexp.MustCompile(`<[^>]*>`)
	// The English module appends its glossary to the last verse after a
	// long run of spaces; no verse has such a run.
	trailer = regexp.MustCompile(` {8,}.*`)
)

// clean removes markup (<w>, milestones, notes, stray titles) and collapses
// white space.
func clean(s string) string {
	// Adjacent words were separated by a footnote that the filter removed.
	s = strings.ReplaceAll(s, "</w><w", "</w> <w")
	s = trailer.ReplaceAllString(s, "")
	s = element.ReplaceAllString(s, " ")
	s = word.ReplaceAllString(s, "")
	s = tag.ReplaceAllString(s, " ")
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	// Removing a note can leave a space before punctuation.
	for _, p := range []string{" .", " ,", " ;", " :", " ?", " !", " ”", " ’"} {
		s = strings.ReplaceAll(s, p, p[1:])
	}
	return s
}
