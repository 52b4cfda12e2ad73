"""`make load`: the site under load on PostgreSQL and gunicorn, and the check that nothing was lost.

A developer and CI tool, like `pcref bench`: nothing here runs in a trust's site.
"""
