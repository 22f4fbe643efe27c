"""Reading voter files: streaming normalised chunks from the file, from a second process, or
from the normalised copy a check left beside the upload."""
