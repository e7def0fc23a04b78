// Package clustertest is the shared set-up of the tests that run under mpirun (build
// tag mpi) in packages bkm and train: join the MPI job for the test, and require that
// a result is the same on every rank as on rank 0.
//
// Imports: package cluster, testing and testify's require.
package clustertest
