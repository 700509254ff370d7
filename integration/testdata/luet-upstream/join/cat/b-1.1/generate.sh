echo generated > /sonewc
