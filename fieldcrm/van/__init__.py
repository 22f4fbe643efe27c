"""VAN-shaped files: canvass results for VAN's bulk upload, and the mapping admins keep."""
