"""Files and formats every modality shares: bytes with their limits and hashes, delimited text, workbooks, NumPy files, REDCap and BIDS."""
