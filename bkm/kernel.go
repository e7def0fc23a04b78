package bkm

import "fmt"

// Kernel is a base kernel k0 (TEMPORARY until attention's zoo lands).
type Kernel any

// EDPTmp and RBFTmp are temporary.
func EDPTmp(gamma float32) Kernel { return edpTmp{gamma} }
func RBFTmp(gamma float32) Kernel { return rbfTmp{gamma} }

func adapt(k Kernel) (blockKernel, error) {
	if bk, ok := k.(blockKernel); ok {
		return bk, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrKernel, k)
}
