-- +goose Up
-- Billing figures are bounded (report.MaxAmount, report.MaxUnits): at most
-- 10,000,000 EUR (1e9 cents) per line and 100,000 units (1e8 thousandths).
-- Before the bounds, a deal amount near 9.2e16 stored total_cents =
-- MinInt64, which no refund can negate. Such a row never billed anything
-- that could be sent on (its export could not even be saved), so it is
-- dropped: the deal, once fixed in the CRM, bills as a correction. The
-- triggers keep any later code path from storing a figure out of bounds.
DELETE FROM billing_billed
WHERE units_milli NOT BETWEEN 1 AND 100000000
   OR price_cents NOT BETWEEN 1 AND 1000000000
   OR total_cents NOT BETWEEN 1 AND 1000000000;
DELETE FROM billing_corrections
WHERE units_milli NOT BETWEEN -100000000 AND 100000000 OR units_milli = 0
   OR price_cents NOT BETWEEN 1 AND 1000000000
   OR total_cents NOT BETWEEN -1000000000 AND 1000000000 OR total_cents = 0;

-- +goose StatementBegin
CREATE TRIGGER billing_billed_bounds_insert BEFORE INSERT ON billing_billed
WHEN NEW.units_milli NOT BETWEEN 1 AND 100000000
  OR NEW.price_cents NOT BETWEEN 1 AND 1000000000
  OR NEW.total_cents NOT BETWEEN 1 AND 1000000000
BEGIN
    SELECT RAISE(ABORT, 'billing_billed: figure out of bounds');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER billing_billed_bounds_update BEFORE UPDATE ON billing_billed
WHEN NEW.units_milli NOT BETWEEN 1 AND 100000000
  OR NEW.price_cents NOT BETWEEN 1 AND 1000000000
  OR NEW.total_cents NOT BETWEEN 1 AND 1000000000
BEGIN
    SELECT RAISE(ABORT, 'billing_billed: figure out of bounds');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER billing_corrections_bounds_insert BEFORE INSERT ON billing_corrections
WHEN NEW.units_milli NOT BETWEEN -100000000 AND 100000000 OR NEW.units_milli = 0
  OR NEW.price_cents NOT BETWEEN 1 AND 1000000000
  OR NEW.total_cents NOT BETWEEN -1000000000 AND 1000000000 OR NEW.total_cents = 0
BEGIN
    SELECT RAISE(ABORT, 'billing_corrections: figure out of bounds');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER billing_corrections_bounds_insert;
DROP TRIGGER billing_billed_bounds_update;
DROP TRIGGER billing_billed_bounds_insert;
