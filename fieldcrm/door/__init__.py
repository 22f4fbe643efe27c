"""Door work: walk packets cut from a turf, the walk list, results and people at the door."""
