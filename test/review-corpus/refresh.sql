-- case: refresh without concurrently
-- expect: SW-L-REFRESH-NOT-CONCURRENT
REFRESH MATERIALIZED VIEW daily_sales;

-- case: refresh concurrently
-- expect: none
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;

-- case: refresh with no data empties it, no long lock
-- expect: none
REFRESH MATERIALIZED VIEW daily_sales WITH NO DATA;

-- case: schema qualified refresh
-- expect: SW-L-REFRESH-NOT-CONCURRENT
REFRESH MATERIALIZED VIEW reports.monthly;

-- case: refresh explicitly with data
-- expect: SW-L-REFRESH-NOT-CONCURRENT
REFRESH MATERIALIZED VIEW reports.monthly WITH DATA;

-- case: two refreshes, one concurrent
-- expect: SW-L-REFRESH-NOT-CONCURRENT
REFRESH MATERIALIZED VIEW CONCURRENTLY a_view;
REFRESH MATERIALIZED VIEW b_view;

-- case: creating a materialized view is not a refresh
-- expect: none
CREATE MATERIALIZED VIEW IF NOT EXISTS top_items AS SELECT 1 AS id;

-- case: create with no data then refresh
-- expect: SW-L-REFRESH-NOT-CONCURRENT
CREATE MATERIALIZED VIEW IF NOT EXISTS top_items AS SELECT 1 AS id WITH NO DATA;
REFRESH MATERIALIZED VIEW top_items;

-- case: concurrent refresh of a qualified view
-- expect: none
REFRESH MATERIALIZED VIEW CONCURRENTLY reports.monthly;

-- case: drop materialized view with a down
-- expect: none
-- down: CREATE MATERIALIZED VIEW top_items AS SELECT 1 AS id;
DROP MATERIALIZED VIEW IF EXISTS top_items;
