"""Core views: public pages, staff pages and the account journey."""
