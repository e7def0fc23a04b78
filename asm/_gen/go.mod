module github.com/kernelmachines/bkm/asm/_gen

go 1.26.0
