// Report module: report.html from the CSVs of a results folder.
