"""Pure business rules: no I/O, no AWS. Everything here is unit- and property-tested."""
