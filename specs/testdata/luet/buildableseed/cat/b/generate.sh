#!/bin/sh
echo generated > /artifact42
