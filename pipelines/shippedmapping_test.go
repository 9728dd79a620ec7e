package pipelines

// ShippedMapping gives the package's external tests the test copy of the
// shipped mapping (testMapping): the file under mappings/ is the admin's.
var ShippedMapping = testMapping
