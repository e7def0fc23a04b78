//go:build purego || !amd64

package main

func probes() []probe { return nil }
