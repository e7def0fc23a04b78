package train

// An arena is one []float32 carved into named views. Layout happens in two passes:
// every owner registers the views it needs (add), then alloc makes the one backing
// slice and points each view into it. Views are capped (three-index slices) so an
// append can never spill into a neighbour.
type arenaPlan struct {
	views []*[]float32
	sizes []int
	total int
}

// add reserves n float32s for *dst, assigned by alloc.
func (p *arenaPlan) add(dst *[]float32, n int) {
	if n < 0 {
		panic("train: arena: negative size")
	}
	p.views = append(p.views, dst)
	p.sizes = append(p.sizes, n)
	p.total += n
}

// alloc makes the backing slice and assigns every registered view.
func (p *arenaPlan) alloc() []float32 {
	buf := make([]float32, p.total)
	p.bind(buf)
	return buf
}

// bind assigns every registered view into buf (at least p.total long), an arena
// laid out by an identical plan: replicas share one set of parameters this way.
func (p *arenaPlan) bind(buf []float32) {
	if len(buf) < p.total {
		panic("train: arena: buffer shorter than the plan")
	}
	off := 0
	for i, v := range p.views {
		n := p.sizes[i]
		*v = buf[off : off+n : off+n]
		off += n
	}
}
