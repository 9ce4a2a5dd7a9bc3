"""Curricula, their outcome trees and crosswalks: loaded from data files, browsable."""
