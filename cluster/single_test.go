//go:build !mpi

package cluster

const isMPI = WithMPI
