package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fixtures reproduce what diatheke's OSIS output does to the two modules: <w>
// elements glued together where a footnote was removed, Strong's numbers, psalm titles
// printed before the key (and repeated, stale, before later verses), a verse left empty
// where the Spanish versification moved its text to the next chapter, a verse the
// English translation omits, extra books, and a glossary after the last verse.
const srcDump = `Genesis 1:1: <w>EN</w> <w>el principio</w> <w>crió</w> <w>Dios</w> <w>los cielos</w>.<milestone type="line"/>
Genesis 1:2: <w>Y la tierra</w> <w lemma="H776">estaba</w> <w>desordenada</w>.<milestone type="line"/>
Psalms 3:1: <w>Salmo de David</w>. <w>¡OH Jehová</w>, cuánto!<milestone type="line"/>
Psalms 3:2: <w>Muchos</w> dicen.<milestone type="line"/>
Jonah 1:1: <w>Y fué palabra</w>.<milestone type="line"/>
Jonah 1:2: 
Jonah 2:1: <w>MAS Jehová había prevenido un gran pez</w>.<milestone type="line"/>
Luke 17:36: <w>Dos estarán en el campo</w>.<milestone type="line"/>
Revelation of John 22:21: <w>La gracia</w> <w>de nuestro</w> <w>Señor</w> <w lemma="G5547">Jesucristo</w> <G5547> sea con todos vosotros.<milestone type="line"/>
(spaRV1909eb)
`

const tgtDump = `Genesis 1:1: <w>In</w> <w>the</w> <w>beginning</w>, <w>God</w><w>created</w> <w>the</w> <w>heavens</w>.<milestone type="line"/>
Genesis 1:2: <w>The</w> <w>earth</w> <w>was</w> <w>formless</w>.<milestone type="line"/>
A Psalm by David.  Psalms 3:1: Yahweh, how <w>my</w> adversaries <w>have</w> increased!<milestone type="line"/>
A Psalm by David.  Psalms 3:2: <w>Many</w> <w>there</w> <w>are</w>.<milestone type="line"/>
A Psalm by David.  Jonah 1:1: <w>Now</w> <w>Yahweh’s</w> <w>word</w> <w>came</w>.<milestone type="line"/>
A Psalm by David.  Jonah 1:2: <w>Arise</w>!<milestone type="line"/>
A Psalm by David.  Jonah 2:1: <w>Then</w> <w>Jonah</w> <w>prayed</w>.<milestone type="line"/>
A Psalm by David.  Tobit 1:1: <w>The</w> <w>book</w> <w>of</w> <w>Tobit</w>.<milestone type="line"/>
A Psalm by David.  Esther (Greek) 1:1: [In the second year].<milestone type="line"/>
A Psalm by David.  Luke 17:36: <milestone type="line"/>
A Psalm by David.  Revelation of John 22:21: <w>The</w> <w>grace</w> <w>of</w> <w>the</w> <w>Lord</w> <w>Jesus</w> <w>Christ</w> be with all the saints. Amen.            The following words used in the World English Bible (WEB) are not very common.
(engWEB2015eb)
`

func TestAlign(t *testing.T) {
	dir := t.TempDir()
	src, tgt := filepath.Join(dir, "src.osis"), filepath.Join(dir, "tgt.osis")
	require.NoError(t, os.WriteFile(src, []byte(srcDump), 0o644))
	require.NoError(t, os.WriteFile(tgt, []byte(tgtDump), 0o644))
	out := filepath.Join(dir, "out")
	// All chapters in train: valid and test take 0%.
	require.NoError(t, run(src, tgt, out, 0, 0, "", 0))
	tsv, err := os.ReadFile(filepath.Join(out, "train.tsv"))
	require.NoError(t, err)
	ref, err := os.ReadFile(filepath.Join(out, "train.ref"))
	require.NoError(t, err)
	require.Equal(t, "Genesis 1:1\nGenesis 1:2\nPsalms 3:1\nPsalms 3:2\nRevelation of John 22:21\n", string(ref),
		"Jonah 1 (empty verse) and Jonah 2 (its text moved there) are dropped, and Luke 17:36 (empty in English)")
	require.Equal(t, strings.Join([]string{
		"EN el principio crió Dios los cielos.\tIn the beginning, God created the heavens.",
		"Y la tierra estaba desordenada.\tThe earth was formless.",
		"Salmo de David. ¡OH Jehová, cuánto!\tA Psalm by David. Yahweh, how my adversaries have increased!",
		"Muchos dicen.\tMany there are.",
		"La gracia de nuestro Señor Jesucristo sea con todos vosotros.\tThe grace of the Lord Jesus Christ be with all the saints. Amen.",
	}, "\n")+"\n", string(tsv))

	// Deterministic: a second run writes the same bytes.
	out2 := filepath.Join(dir, "out2")
	require.NoError(t, run(src, tgt, out2, 0, 0, "", 0))
	tsv2, err := os.ReadFile(filepath.Join(out2, "train.tsv"))
	require.NoError(t, err)
	require.Equal(t, tsv, tsv2)
}

func TestAlignRejectsNonDump(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.txt")
	require.NoError(t, os.WriteFile(p, []byte("hello\nworld\n"), 0o644))
	require.ErrorContains(t, run(p, p, filepath.Join(dir, "out"), 2, 2, "", 0), "no verse keys")
}
