// Package pressure is the scaler's pure model of demand: which GitLab job
// pods are pending or running, per arch × capacity type × candidate
// NodePool, with their requested CPU and memory and how long they have
// waited. It takes objects and a time and returns data: no client, clock or
// logger, so that every planner built on it is a pure function too.
package pressure
