//! The import planner: records + plan + current books -> changes.
