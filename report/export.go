package report

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Format is an export file format.
type Format string

// Export formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads csv or xlsx.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("report: format %q: want csv or xlsx", s)
}

// CSVOptions shapes CSV output. The zero value is what Finnish Excel opens
// directly: UTF-8 with a byte-order mark, ';' between fields and a decimal
// comma. International sets ',' and a decimal point.
type CSVOptions struct {
	International bool
	// NoBOM leaves the byte-order mark out.
	NoBOM bool
}

// Progress is told how many rows of how many have been written.
type Progress func(done, total int)

// WriteCSV writes the header, the rows and the totals row. Dates are
// YYYY-MM-DD, which Excel reads as dates in every locale; money has two
// decimals; text that could start a formula is quoted with a leading
// apostrophe.
func WriteCSV(w io.Writer, t *Table, o CSVOptions, progress Progress) error {
	sep, point := byte(';'), byte(',')
	if o.International {
		sep, point = ',', '.'
	}
	bw := bufio.NewWriter(w)
	if !o.NoBOM {
		bw.WriteString("\ufeff")
	}
	line := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		line[i] = c.Name
	}
	writeCSVLine(bw, line, sep)
	total := len(t.Rows)
	for n, r := range append(t.Rows, t.Totals()) {
		for i, v := range r {
			line[i] = csvCell(t.Columns[i].Kind, v, point)
		}
		if err := writeCSVLine(bw, line, sep); err != nil {
			return err
		}
		if progress != nil && n < total && (n+1)%1000 == 0 {
			progress(n+1, total)
		}
	}
	if progress != nil {
		progress(total, total)
	}
	return bw.Flush()
}

func csvCell(k Kind, v any, point byte) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	case int64:
		if k == Money {
			return formatCents(x, point)
		}
		return strconv.FormatInt(x, 10)
	case float64:
		s := strconv.FormatFloat(x, 'f', 2, 64)
		if point != '.' {
			s = strings.Replace(s, ".", string(point), 1)
		}
		return s
	case time.Time:
		return x.Format("2006-01-02")
	}
	return fmt.Sprint(v)
}

// writeCSVLine writes one record, quoting as RFC 4180 asks, with CRLF as
// Excel expects. It returns the writer's first error.
func writeCSVLine(w *bufio.Writer, fields []string, sep byte) error {
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(sep)
		}
		if strings.ContainsAny(f, string(sep)+"\"\r\n") {
			w.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		} else {
			w.WriteString(f)
		}
	}
	_, err := w.WriteString("\r\n")
	return err
}

// WriteXLSX writes one sheet: a bold header row, the rows with numbers as
// numbers (money in euros with two decimals) and dates as dates, and a
// totals row whose sums are SUM formulas with cached values.
func WriteXLSX(w io.Writer, t *Table, progress Progress) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := t.Report
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dec, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // the locale's short date
	if err != nil {
		return err
	}
	monthFmt := "yyyy-mm"
	month, err := f.NewStyle(&excelize.Style{CustomNumFmt: &monthFmt})
	if err != nil {
		return err
	}
	totalDec, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 4})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, c := range t.Columns {
		width := float64(len(c.Name) + 4)
		if c.Kind == Text {
			width = 18
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = excelize.Cell{StyleID: bold, Value: c.Name}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for n, r := range t.Rows {
		cells := make([]any, len(r))
		for i, v := range r {
			cells[i] = xlsxCell(t.Columns[i].Kind, v, dec, date, month)
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
		if progress != nil && (n+1)%1000 == 0 {
			progress(n+1, len(t.Rows))
		}
	}
	totals := t.Totals()
	cells := make([]any, len(totals))
	last := len(t.Rows) + 1
	for i, v := range totals {
		c := t.Columns[i]
		if !c.Sum {
			cells[i] = excelize.Cell{StyleID: bold, Value: v}
			continue
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		cell := xlsxCell(c.Kind, v, totalDec, date, month).(excelize.Cell)
		if c.Kind == Int {
			cell.StyleID = bold
		}
		if len(t.Rows) > 0 {
			cell.Formula = fmt.Sprintf("SUM(%s2:%s%d)", col, col, last)
		}
		cells[i] = cell
	}
	cell, _ := excelize.CoordinatesToCellName(1, len(t.Rows)+2)
	if err := sw.SetRow(cell, cells); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if progress != nil {
		progress(len(t.Rows), len(t.Rows))
	}
	return f.Write(w)
}

func xlsxCell(k Kind, v any, dec, date, month int) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if k == Month {
			if t, err := time.Parse("2006-01", x); err == nil {
				return excelize.Cell{StyleID: month, Value: t}
			}
			// A day's export puts the day in the period column.
			if t, err := time.Parse("2006-01-02", x); err == nil {
				return excelize.Cell{StyleID: date, Value: t}
			}
		}
		return excelize.Cell{Value: x}
	case int64:
		if k == Money {
			return excelize.Cell{StyleID: dec, Value: float64(x) / 100}
		}
		return excelize.Cell{Value: x}
	case float64:
		return excelize.Cell{StyleID: dec, Value: x}
	case time.Time:
		return excelize.Cell{StyleID: date, Value: x}
	}
	return excelize.Cell{Value: v}
}

// partialDir is the folder inside the output folder where files are
// written before they are renamed into place, so the output folder itself
// never holds half a file, even when the process is killed.
const partialDir = ".partial"

// FileMode and DirMode are the modes of exported reports and of the
// folders made for them: billing bases name providers and sums, so they are
// for alusta's user and its group (the people who send them on), not for
// everyone on the machine.
const (
	FileMode = 0o640
	DirMode  = 0o750
)

// WriteFileAtomic writes path through a temporary file in the same file
// system, syncs it and renames it into place. It returns the SHA-256 of
// what was written. On any error the temporary file is removed and path is
// left as it was.
func WriteFileAtomic(path string, write func(io.Writer) error) (checksum string, err error) {
	dir := filepath.Join(filepath.Dir(path), partialDir)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if err := write(io.MultiWriter(tmp, h)); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), FileMode); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	syncDir(filepath.Dir(path))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir makes a rename durable; failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// cleanPartial removes temporary files older than age left by a killed
// export.
func cleanPartial(outDir string, now time.Time, age time.Duration) error {
	dir := filepath.Join(outDir, partialDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || e.IsDir() || now.Sub(info.ModTime()) < age {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
	return nil
}

// FileName is the export's file name: report-period.ext.
func FileName(report string, p Period, f Format) string {
	return fmt.Sprintf("%s-%s.%s", report, p.Label, f)
}

// ctxWriter fails once ctx is done, so a cancelled export stops writing.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
