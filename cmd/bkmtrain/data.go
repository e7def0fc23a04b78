package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/kernelmachines/bkm/cmd/bkmtrain/internal/corpus"
	"github.com/kernelmachines/bkm/train"
)

// loadData reads the training and validation files, or the embedded corpus when both
// are empty. For language modelling a TSV file's target side is used as text, so the
// embedded corpus serves both tasks.
func loadData(task, trainPath, validPath string) (*train.Corpus, error) {
	if (trainPath == "") != (validPath == "") {
		return nil, usagef("--train and --valid go together (got --train %q, --valid %q)", trainPath, validPath)
	}
	c := &train.Corpus{}
	var err error
	switch {
	case trainPath == "":
		c.Name = "embedded Spanish→English Bible verses"
		if c.Train, err = train.ParseTSV("embedded train.tsv", corpus.Train()); err != nil {
			return nil, err
		}
		if c.Valid, err = train.ParseTSV("embedded valid.tsv", corpus.Valid()); err != nil {
			return nil, err
		}
	case task == "translate":
		c.Name = trainPath + ", " + validPath
		if c.Train, err = train.ReadTSVText(trainPath); err != nil {
			return nil, dataError(err)
		}
		if c.Valid, err = train.ReadTSVText(validPath); err != nil {
			return nil, dataError(err)
		}
	default:
		c.Name = trainPath + ", " + validPath
		if c.TrainText, err = train.ReadTextLines(trainPath); err != nil {
			return nil, dataError(err)
		}
		if c.ValidText, err = train.ReadTextLines(validPath); err != nil {
			return nil, dataError(err)
		}
	}
	if task == "lm" && c.TrainText == nil {
		_, c.TrainText = train.SplitPairs(c.Train)
		_, c.ValidText = train.SplitPairs(c.Valid)
	}
	return c, nil
}

// dataError says that a file the command could not open is a data file.
func dataError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("reading data: %w", err)
	}
	return err
}
