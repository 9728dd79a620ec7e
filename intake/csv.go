package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// RowProblem is one problem of a CSV row, printed FILE:ROW:COLUMN: problem.
// Rows count from 1, the header being row 1, as a spreadsheet shows them.
type RowProblem struct {
	File   string
	Row    int
	Column string
	Text   string
}

func (p RowProblem) String() string {
	return fmt.Sprintf("%s:%d:%s: %s", p.File, p.Row, p.Column, p.Text)
}

// Row is a parsed order and the row it came from.
type Row struct {
	Row   int
	Order Order
}

// csvColumns are the columns a file may have: the API's field names, the
// client's with or without the "client." prefix.
var csvColumns = []string{"order_ref", "service", "municipality", "start_date", "units", "unit", "payer", "language",
	"client_choice", "notes_for_provider", "first_name", "last_name", "address", "postal_code", "phone", "email", "personal_id"}

// ParseCSV reads orders from a CSV file: UTF-8 with or without a byte
// order mark, separated by ";" (as Finnish Excel saves) or ",", with a
// header row naming the columns. Decimal commas are read in units. Every
// row is checked with rules; the good rows come back with every problem
// of the bad ones.
func ParseCSV(file string, r io.Reader, rules Rules) ([]Row, []RowProblem) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []RowProblem{{File: file, Row: 0, Column: "-", Text: err.Error()}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine()
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	var probs []RowProblem
	header, err := cr.Read()
	if err != nil {
		return nil, []RowProblem{{File: file, Row: 1, Column: "-", Text: "no header row: " + err.Error()}}
	}
	cols := make([]string, len(header))
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		name = strings.TrimPrefix(strings.TrimPrefix(name, "client."), "client_")
		if name == "choice" { // client_choice lost its prefix above
			name = "client_choice"
		}
		if !slices.Contains(csvColumns, name) {
			probs = append(probs, RowProblem{File: file, Row: 1, Column: strings.TrimSpace(h),
				Text: "unknown column; columns are " + strings.Join(csvColumns, ", ")})
		}
		cols[i] = name
	}
	for _, need := range []string{"order_ref", "service", "municipality", "start_date", "units", "unit", "payer", "language", "first_name", "last_name", "address", "postal_code", "phone"} {
		if !slices.Contains(cols, need) {
			probs = append(probs, RowProblem{File: file, Row: 1, Column: need, Text: "missing column"})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	var rows []Row
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			probs = append(probs, RowProblem{File: file, Row: line, Column: "-", Text: err.Error()})
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // an empty line
		}
		if len(rec) != len(cols) {
			probs = append(probs, RowProblem{File: file, Row: line, Column: "-", Text: fmt.Sprintf("%d fields, want %d as in the header", len(rec), len(cols))})
			continue
		}
		var o Order
		var rowProbs []RowProblem
		for i, v := range rec {
			v = strings.TrimSpace(v)
			switch cols[i] {
			case "order_ref":
				o.OrderRef = v
			case "service":
				o.Service = v
			case "municipality":
				o.Municipality = v
			case "start_date":
				o.StartDate = v
			case "units":
				n, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
				if err != nil {
					rowProbs = append(rowProbs, RowProblem{File: file, Row: line, Column: "units", Text: fmt.Sprintf("%q: want a number", v)})
					n = 1 // checked above; keep Check from repeating it
				}
				o.Units = n
			case "unit":
				o.Unit = v
			case "payer":
				o.Payer = v
			case "language":
				o.Language = v
			case "client_choice":
				o.ClientChoice = v
			case "notes_for_provider":
				o.NotesForProvider = v
			case "first_name":
				o.Client.FirstName = v
			case "last_name":
				o.Client.LastName = v
			case "address":
				o.Client.Address = v
			case "postal_code":
				o.Client.PostalCode = v
			case "phone":
				o.Client.Phone = v
			case "email":
				o.Client.Email = v
			case "personal_id":
				o.Client.PersonalID = v
			}
		}
		for _, p := range rules.Check(o) {
			rowProbs = append(rowProbs, RowProblem{File: file, Row: line, Column: strings.TrimPrefix(p.Field, "client."), Text: p.Problem})
		}
		// In column order, as a person reads the row.
		slices.SortStableFunc(rowProbs, func(a, b RowProblem) int {
			return slices.Index(cols, a.Column) - slices.Index(cols, b.Column)
		})
		if prev, dup := seen[o.OrderRef]; dup && o.OrderRef != "" {
			rowProbs = append(rowProbs, RowProblem{File: file, Row: line, Column: "order_ref", Text: fmt.Sprintf("also on row %d", prev)})
		}
		seen[o.OrderRef] = line
		if len(rowProbs) > 0 {
			probs = append(probs, rowProbs...)
			continue
		}
		rows = append(rows, Row{Row: line, Order: o})
	}
	return rows, probs
}
