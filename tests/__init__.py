"""FieldCRM test suite."""
