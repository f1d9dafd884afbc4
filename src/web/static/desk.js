// The clerk's desk: live refresh, completion and shortcuts are added in a following commit.
