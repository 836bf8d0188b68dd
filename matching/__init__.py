"""Who helps whom: the matching engine and the dispatch of help requests."""
