"""The JSON API under /api/v1/: personal tokens, scoped resources, the OpenAPI document."""
