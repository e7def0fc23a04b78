//go:build !race

package bkm

const raceEnabled = false
