# `snakemake --report report.html`: every figure grouped by paper (category = paper folder, subcategory =
# artifact id; captions in workflow/report/<paper>/<artifact>.rst) plus the scoreboard.


report: "../report/workflow.rst"
