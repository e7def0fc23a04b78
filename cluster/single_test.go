//go:build !mpi

package cluster

const isMPI = false
